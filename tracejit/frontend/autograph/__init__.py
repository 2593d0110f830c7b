"""Source conversion of the user's functions (issue 16): see SPEC16 (the package is H1's)."""
