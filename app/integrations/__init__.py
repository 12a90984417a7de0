"""PSA integrations (ConnectWise PSA, Autotask, HaloPSA): webhooks in, tickets out."""
