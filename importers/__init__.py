"""Bringing another ticketing system's data into ticketgate (`ticketgate import-helpdesk`)."""
