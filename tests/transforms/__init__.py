"""Forward mode, higher orders and the Jacobian transforms."""
