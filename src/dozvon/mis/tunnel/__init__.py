"""Ways through a clinic's firewall: SSH port forwarding, and MySQL over an HTTP tunnel script."""
