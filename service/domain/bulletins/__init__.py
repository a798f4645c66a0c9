"""Service bulletins (SPEC §13): publishing and revising, releases to countries, each country's
acknowledgements and its units' compliance, attachments, and the figures drawn from them."""
