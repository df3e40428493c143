"""What people see: the self-contained HTML reports and index, and the terminal console."""
