"""What names say, for the link-phase judgement: column names holding a credential, an expiry, a
public flag or a visibility, owner-like columns, parameter names that are plumbing rather than
data, helper names that create rows, and dependency names that provide the current user."""

from __future__ import annotations

import re

# An owner column naming a user (the fix in a message compares it with `<current user>.id`).
PERSONAL = re.compile(r"(^|_)(owner|user|author|creator|created_by)(_id)?$|user_id$")
# A column holding a secret the caller must present (a share token, an invite code, an API key):
# holding it is the authorization.
CREDENTIAL_COL = re.compile(
    r"(^|_)(token|secret|api_?key|key_hash|token_hash|hashed_token|hashed_key|otp|nonce|jti|share_code|"
    r"invite_code|invitation_code|verification_code|reset_code|magic_code|session_key|session_token)$", re.I)
EXPIRY_COL = re.compile(r"(^|_)(expires?|expired|expiry|expiration|valid_until)(_at|_on)?$", re.I)
PUBLIC_FLAG = re.compile(r"^(is_)?(public|published|shared|visible)$")
VISIBILITY_COL = re.compile(r"(^|_)(status|state|visibility|privacy|access|scope)$")
CREATES = re.compile(r"^(create|insert|add|new|bulk_create|create_\w+|insert_\w+|add_\w+)$")
# Parameters that carry plumbing, never the identity of a row.
SESSIONISH = re.compile(r"^(db|session|db_session|async_session|conn|connection|cursor|engine|database|tx|uow|"
                        r"request|background_tasks|options|schema_to_select|limit|offset|skip|page)$")
# The last part of a dependency's name that says it provides the current user, wherever it is
# defined (another package's `get_current_user` too).
USER_PROVIDER_NAME = re.compile(
    r"current_?\w*user|user_from_token|authenticat|require_\w*user|^get_user_id$|^user_id_from_", re.I)
# Attributes of a per-request repository or service holding the caller (`self.user_id`).
HELD_USER = re.compile(r"^_?(current_)?(user|owner|principal|account)(_id)?$")
# Owner columns that record who wrote a row (attribution) rather than who it belongs to: on a
# route without a user such rows are content (blog posts, job offers, comments), public by purpose.
AUTHORSHIP = re.compile(r"^(author|creator|created_by|posted_by|written_by|published_by|submitted_by)(_user)?(_id)?$")
# Columns that name one user as uniquely as its id does: a user row looked up by one of them is
# picked as surely as by its key (`filter(User.username == body.username)`).
USER_KEY = re.compile(r"^(user_?name|login|email|email_address|handle|phone|phone_number|mobile)$", re.I)
