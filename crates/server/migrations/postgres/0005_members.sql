-- Invitations to a workspace. An owner or admin records one for an email address; the invitee
-- accepts it (account_id, accepted_at), which shows their public keys to owners and admins; the
-- inviter then appends the signed "add member" entry and the invitation becomes a membership.
-- Clients never trust this table: the roster decides who is a member.

CREATE TABLE invitations (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    invited_by   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    account_id   TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    accepted_at  BIGINT,
    PRIMARY KEY (workspace_id, email)
);
CREATE INDEX invitations_email ON invitations(email);
