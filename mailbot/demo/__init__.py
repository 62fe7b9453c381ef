"""``mailbot demo``: the real engine over five simulated weeks of scripted cases."""
