# Shortcuts for tasks.py, which needs nothing but python3.
.PHONY: demo test bench clean
demo:
	python3 tasks.py demo
test:
	python3 tasks.py test
bench:
	python3 tasks.py bench
clean:
	rm -rf .venv out .pytest_cache
