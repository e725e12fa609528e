"""Run the real program in-process under Pulumi mocks: no CLI, no cloud account, no cluster."""
