"""The Automation API driver: `python -m automation preview|up|refresh|destroy|drift|outputs --stack NAME`."""
