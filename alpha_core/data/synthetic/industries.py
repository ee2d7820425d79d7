"""The 30 CITIC level-1 industries of SPEC section 2, grouped into the five sectors."""

from __future__ import annotations

import numpy as np

from alpha_core.data.contract import Sector

# industry -> (sector, relative number of listed stocks)
INDUSTRIES: dict[str, tuple[Sector, float]] = {
    "coal": (Sector.CYCLICAL, 1.0),
    "machinery": (Sector.CYCLICAL, 4.5),
    "power_equipment_new_energy": (Sector.CYCLICAL, 3.0),
    "non_ferrous_metals": (Sector.CYCLICAL, 2.0),
    "basic_chemicals": (Sector.CYCLICAL, 4.5),
    "building_materials": (Sector.CYCLICAL, 1.2),
    "petroleum_petrochemicals": (Sector.CYCLICAL, 0.8),
    "defence": (Sector.CYCLICAL, 1.0),
    "steel": (Sector.CYCLICAL, 0.9),
    "retail": (Sector.CONSUMER, 1.8),
    "light_manufacturing": (Sector.CONSUMER, 2.5),
    "conglomerates": (Sector.CONSUMER, 0.5),
    "pharmaceuticals": (Sector.CONSUMER, 4.5),
    "textiles_apparel": (Sector.CONSUMER, 1.8),
    "food_beverage": (Sector.CONSUMER, 2.0),
    "household_appliances": (Sector.CONSUMER, 1.4),
    "autos": (Sector.CONSUMER, 2.5),
    "consumer_services": (Sector.CONSUMER, 0.8),
    "agriculture": (Sector.CONSUMER, 1.8),
    "real_estate": (Sector.FINANCIAL, 2.4),
    "non_bank_finance": (Sector.FINANCIAL, 1.6),
    "banks": (Sector.FINANCIAL, 0.8),
    "diversified_finance": (Sector.FINANCIAL, 0.5),
    "electronics": (Sector.GROWTH, 4.5),
    "telecom": (Sector.GROWTH, 2.0),
    "computers": (Sector.GROWTH, 4.5),
    "media": (Sector.GROWTH, 3.0),
    "transportation": (Sector.STABLE, 2.2),
    "utilities": (Sector.STABLE, 2.4),
    "construction": (Sector.STABLE, 2.0),
}
INDUSTRY_NAMES: list[str] = list(INDUSTRIES)
SECTOR_NAMES: list[Sector] = list(Sector)
# sector index (0..4) of each industry index (0..29)
INDUSTRY_SECTOR = np.array([SECTOR_NAMES.index(INDUSTRIES[k][0]) for k in INDUSTRY_NAMES], dtype=np.int64)
INDUSTRY_WEIGHT = np.array([INDUSTRIES[k][1] for k in INDUSTRY_NAMES], dtype=np.float64)
