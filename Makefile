# OpenDay: `make run` starts the site on http://127.0.0.1:8000/, `make test` runs every test stage.
# Needs only python3 (3.11+), make and git; dependencies are installed into .venv from
# requirements-dev.txt (the runtime pins of requirements.txt plus the test and development tools).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format clean

help:
	@echo "开放日 OpenDay 常用命令："
	@echo "  make run     安装依赖（首次）、初始化数据库和演示数据，启动网站（默认 http://127.0.0.1:8000/）"
	@echo "  make test    代码检查 + SQLite / PostgreSQL / 浏览器测试，最后打印汇总"
	@echo "  make lint    代码检查（ruff 与 mypy）"
	@echo "  make format  自动格式化并修复可自动修复的问题"
	@echo "  make venv    只安装依赖到 .venv（运行依赖 requirements.txt 和开发测试工具 requirements-dev.txt）"
	@echo "  make clean   删除测试结果和缓存（保留 var/ 中的数据库和密钥）"
	@echo "可用环境变量：HOST、PORT（make run）；DATABASE_URL（make test 的 PostgreSQL 阶段）。"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "需要 Python 3.11 或更高版本（当前：$$($(PYTHON) --version 2>&1)）。"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt -r requirements-dev.txt
	$(BIN)/pip install --no-deps -e .
	touch $@

run: venv
	scripts/run.sh

test: venv
	$(BIN)/python scripts/runtests.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf test-results .pytest_cache .ruff_cache build
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
