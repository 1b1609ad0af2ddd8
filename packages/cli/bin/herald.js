#!/usr/bin/env node
// The herald command (src/bin.ts, built to dist/). A committed file, so that installing a fresh
// clone links the bin before anything is built.
import "../dist/bin.js";
