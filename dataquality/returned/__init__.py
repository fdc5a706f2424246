"""Correction lists sent back by the departments: read them (`read`), check and apply their values (`apply`)."""
