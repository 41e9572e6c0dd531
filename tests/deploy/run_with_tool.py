"""Runs TOOL ARGS..., skipping (exit 77) when TOOL is missing, failing under CI=true.

usage: run_with_tool.py TOOL [ARGS...]
"""
import os
import subprocess
import sys

from deploy_check import require_tool

tool = require_tool(sys.argv[1])
sys.exit(subprocess.run([tool, *sys.argv[2:]]).returncode)
