"""``mailbot demo``: the real engine over four simulated weeks of scripted cases."""
