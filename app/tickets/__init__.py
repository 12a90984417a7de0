"""PSA tickets and the monthly ticket figures the health score reads."""
