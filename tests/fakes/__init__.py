"""Fakes of outside services on loopback ports, speaking their real wire formats."""
