"""The CrossGuard policy pack (run by the Pulumi CLI from this directory; imported by the tests as `policy.rules`)."""
