"""Pure geospatial functions: joins, indicators, index and maps (no I/O, no Streamlit)."""
