-- The /ask agent's threads and the state written after every step of its graph (agents/), so that a thread
-- paused for a human's approval survives a restart of the API and resumes where it stopped. The state is
-- stored redacted (security/redaction): no e-mail address, token or card number reaches this table.
CREATE TABLE agent_threads (
  tenant_id  text NOT NULL REFERENCES tenants,
  thread_id  uuid NOT NULL,
  question   text NOT NULL,
  backend    text NOT NULL CHECK (backend IN ('graph', 'chain', 'minimal')),
  status     text NOT NULL CHECK (status IN ('running', 'answered', 'abstained', 'awaiting_approval', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, thread_id)
);
SELECT enable_tenant_rls('agent_threads');

CREATE TABLE agent_checkpoints (
  tenant_id  text NOT NULL,
  thread_id  uuid NOT NULL,
  step       int NOT NULL CHECK (step >= 0),
  node       text NOT NULL,
  state      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, thread_id, step),
  FOREIGN KEY (tenant_id, thread_id) REFERENCES agent_threads ON DELETE CASCADE
);
SELECT enable_tenant_rls('agent_checkpoints');

GRANT SELECT, INSERT, UPDATE ON agent_threads TO voltedge_app;
GRANT SELECT, INSERT ON agent_checkpoints TO voltedge_app;
