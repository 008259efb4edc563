# Entry points that work on a fresh machine: each provides Node 24 (from the npm registry when
# the system Node is older), installs dependencies when missing, and starts the local stack.
SHELL := /bin/bash
NODE := source scripts/node/ensure-node.sh &&

.PHONY: setup stack demo test bench lint typecheck

node_modules/.package-lock.json: package-lock.json
	$(NODE) npm ci --no-audit --no-fund

setup: node_modules/.package-lock.json

stack: setup
	$(NODE) npm run stack:up

demo: stack
	$(NODE) npm run demo

test: stack
	$(NODE) npm test

bench: stack
	$(NODE) npm run bench

lint: setup
	$(NODE) npm run lint

typecheck: setup
	$(NODE) npm run typecheck
