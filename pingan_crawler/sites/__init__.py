"""Site profiles: one TOML file per site. Site differences live here, as data, not in code.

``profile.py`` holds the data classes, ``loader.py`` reads TOML files (and their family bases),
validates them and finds a profile by name or URL. The names below are the package's interface.
"""

from pingan_crawler.sites.loader import (
    FAMILY_DIR,
    PROFILE_DIR,
    check_profile,
    family_names,
    generic_profile,
    is_profile_path,
    load_family,
    load_profile,
    load_profile_file,
    parse_profile,
    profile_for_url,
    profile_names,
    profile_path,
)
from pingan_crawler.sites.profile import (
    FIELD_SELECTORS,
    PAGINATION_STYLES,
    VIEW_MODES,
    CheckRecord,
    Pagination,
    ProfileError,
    Section,
    Selectors,
    SiteProfile,
    Views,
)

__all__ = [
    "FAMILY_DIR",
    "FIELD_SELECTORS",
    "PAGINATION_STYLES",
    "PROFILE_DIR",
    "VIEW_MODES",
    "CheckRecord",
    "Pagination",
    "ProfileError",
    "Section",
    "Selectors",
    "SiteProfile",
    "Views",
    "check_profile",
    "family_names",
    "generic_profile",
    "is_profile_path",
    "load_family",
    "load_profile",
    "load_profile_file",
    "parse_profile",
    "profile_for_url",
    "profile_names",
    "profile_path",
]
