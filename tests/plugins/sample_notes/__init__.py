"""样例笔记: the smallest plugin, using every core hook. The core's tests load it.

Copy this folder to start a new plugin (see docs/plugins.md).
"""
