"""Every size limit of the store's content, in one place; the domain checks them, the doors
and GraphQL's schema name them in their documents. Text kept in a column of bounded length is
bounded by the column (`validation.max_length(Model, field)`); the limits here bound the rest.
A door adds only the stricter limits its reference documents (`DRF_TITLE`, `LEGACY_TITLE`)."""

TITLE = 255  # a ticket's title (its column) and client_aliased_name
DESCRIPTION = 100_000  # a ticket's description and resolution
COMMENT = 100_000  # a comment's body
MESSAGE = 50_000  # the control panel's messages: a comment, an evaluation or a vote comment
FILE_BYTES = 20 * 1024 * 1024  # one attached file, in every door
FILES_PER_ITEM = 10  # files on one ticket or comment
TAGS = 20
CONTACTS = 20
PASSWORD = 1024  # characters (the password rule's upper bound, resolvers/passwords.py)
CUSTOM_FIELDS = 50
CUSTOM_FIELD_DEPTH = 16  # lists and objects within a custom value (the JSON column's encoder
# refuses more than 254)

DRF_TITLE = 200  # django-helpdesk's Ticket.title and FollowUp.title (the helpdesk REST door)
LEGACY_TITLE = 100  # the legacy helpdesk API's create form
