-- A workspace setting: every reveal and export of a device key must say why (the reason goes
-- into the audit event). Owners and admins set it; the server refuses a reveal without one.
ALTER TABLE workspaces ADD COLUMN reveal_reason_required INTEGER NOT NULL DEFAULT 0;
