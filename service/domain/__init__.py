"""The rules of the product, as typed keyword-only functions; each commits its own work."""
