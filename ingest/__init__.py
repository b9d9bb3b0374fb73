"""Download, parse and validate each source, and build the processed ward store."""
