-- wharf metadata schema, version 65: an authorization token issued to an STS
-- session carries the session's tags (JSON object; '' for none), so the
-- package endpoints decide aws:PrincipalTag conditions as the control plane
-- does. Tokens issued before this version have none.

ALTER TABLE auth_tokens ADD COLUMN session_tags TEXT NOT NULL DEFAULT '';
