# ngx_s3: `make run` starts an S3 endpoint, `make test` proves it.
# Every target installs the Debian packages that are missing first.

PYTHON   = /usr/bin/python3
PYTEST   = $(PYTHON) -m pytest
ASAN_LIB = $(shell gcc -print-file-name=libasan.so)
UBSAN_LIB = $(shell gcc -print-file-name=libubsan.so)
SANITIZE = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined

.PHONY: all deps build module module-asan repld cli repld-asan cli-asan \
        unit unit-asan lint \
        test test-asan test-release fuzz fuzz-check run cluster \
        bench clean

all: build

deps:
	@auto/deps

build: deps module repld cli

module: deps
	@auto/nginx release

module-asan: deps
	@auto/nginx asan

repld: deps
	@$(MAKE) -s -C repld

cli: deps
	@$(MAKE) -s -C cli

# repld and s3ctl with the same sanitizers, for test-asan
repld-asan: deps
	@$(MAKE) -s -C repld BUILD=../build/asan CFLAGS_EXTRA="$(SANITIZE)"

cli-asan: deps
	@$(MAKE) -s -C cli BUILD=../build/asan CFLAGS_EXTRA="$(SANITIZE)"

unit: deps
	@$(MAKE) -s -C t/unit

unit-asan: deps
	@$(MAKE) -s -C t/unit BUILD=../../build/unit-asan \
	    CFLAGS_EXTRA="$(SANITIZE)"

lint:
	@auto/lint

# libFuzzer over the parsers of core/: `make fuzz` runs each target for
# FUZZ_SECONDS (120); `make fuzz-check`, part of `make test`, replays the
# regression inputs and seeds and fuzzes for 60 seconds in all.
FUZZ_SECONDS ?= 120

fuzz: deps
	@$(MAKE) -s -C t/fuzz fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

fuzz-check: deps
	@$(MAKE) -s -C t/fuzz check

# The suite runs twice: once against a module built with AddressSanitizer
# and UndefinedBehaviorSanitizer (preloaded into Debian's nginx), with
# repld and s3ctl built with them too, then against the release builds,
# whose pytest summary ends the output.
test: build lint unit unit-asan fuzz-check test-asan test-release

test-asan: module-asan repld-asan cli-asan
	NGX_S3_MODULE=build/nginx-asan/objs/ngx_http_s3_module.so \
	NGX_S3_LD_PRELOAD=$(ASAN_LIB):$(UBSAN_LIB) \
	REPLD=build/asan/repld S3CTL=build/asan/s3ctl \
	$(PYTEST) t

test-release: build
	$(PYTEST) t

run: build
	@auto/run

# Redis and NODES (3) nodes in network namespaces (root): auto/cluster
cluster: build
	@auto/cluster

bench: build
	@t/bench/run

clean:
	rm -rf build
