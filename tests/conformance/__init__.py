"""Conformance tests (issue 17): upstream tests ported to HTTP, and one ticket read through every
door. Black-box: setup through fixtures and domain functions, assertions only through HTTP."""
