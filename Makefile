# The README's two commands. Both set up what they need on a fresh machine.
.PHONY: demo test
demo:
	./scripts/demo
test:
	./scripts/test
