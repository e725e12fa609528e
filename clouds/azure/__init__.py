"""The Azure foundation (azure-native): AKS with spot GPU pools, Blob storage, Postgres, Key Vault, ACR."""
