"""The local foundation: an existing cluster (kind, k3d, minikube) with in-cluster object store and Postgres."""
