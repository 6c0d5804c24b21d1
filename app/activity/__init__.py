"""The activity page: sign-ins, failed and refused attempts, and changes, newest first."""
