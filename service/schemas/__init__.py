"""Marshmallow schemas at the HTTP boundary: the one validation layer."""
