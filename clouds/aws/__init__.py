"""The AWS foundation: VPC, EKS with Karpenter-ready capacity, S3, RDS, ECR, Secrets Manager, pod identities."""
