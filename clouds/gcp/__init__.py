"""The GCP foundation: VPC, GKE with node auto-provisioning and spot GPU pools, GCS, Cloud SQL and identities."""
