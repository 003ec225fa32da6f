"""Plain functions holding the product's rules and writes; no request globals."""
