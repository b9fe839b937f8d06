-- Which agent tools a tenant may use (agents/tools.h). A tenant without rows gets the configured default
-- (AGENT_TOOLS); rows replace it. Managed with the administrative login (voltedge tenant tools); the
-- application role only reads its own tenant's rows.
CREATE TABLE agent_tool_allowlist (
  tenant_id text NOT NULL REFERENCES tenants,
  tool      text NOT NULL CHECK (tool IN ('search', 'forecast', 'data_quality', 'model_info', 'run_eval', 'open_pr', 'file_issue')),
  PRIMARY KEY (tenant_id, tool)
);
SELECT enable_tenant_rls('agent_tool_allowlist');
GRANT SELECT ON agent_tool_allowlist TO voltedge_app;
