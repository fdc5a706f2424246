"""dataquality: master-data quality checks for CRM/ERP customer and product masters."""

from __future__ import annotations

__version__ = "0.1.0"
