# Installation and packages.
#
#   make install     DESTDIR, PREFIX, SBINDIR, LIBDIR, MANDIR, SYSCONFDIR,
#                    UNITDIR, PRESETDIR, LIBEXECDIR, DATADIR, PAMCONFIGDIR
#                    honoured
#   make uninstall   removes what install put in place, except
#                    /etc/nss-iam.conf
#
# /etc/nss-iam.conf is the administrator's file, never a package's: install
# puts the commented example in $(DATADIR)/nss-iam/nss-iam.conf, and copies
# it to $(SYSCONFDIR)/nss-iam.conf only on a live install (no DESTDIR)
# where there is none yet. The packages do the same in their install
# scripts, so that a file written before the package (by an image build,
# cloud-init, configuration management) is kept as it is and dpkg has no
# conffile question to ask.
#   make deb         build/pkg/libnss-iam_VERSION_ARCH.deb (the NSS module) and
#                    nss-iam_VERSION_ARCH.deb (the rest) (dpkg-buildpackage)
#   make rpm         build/pkg/nss-iam-VERSION-REL.ARCH.rpm (rpmbuild)
#   make man-check   every manual page renders without a groff warning
#
# deb and rpm build from a copy of the working tree (without build/,
# cache/ and .git) in a temporary directory outside $(BUILD), removed
# however the build ends: uncommitted changes are packaged, the tree's own
# build/ is never cleaned by the package build, and no half-built copy is
# left where the Makefile looks for dependency files.

# systemd's own answer where it is installed, else Debian 12's directory.
# Evaluated once, and only when not given.
ifeq ($(origin UNITDIR),undefined)
UNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd \
	2>/dev/null),/lib/systemd/system)
endif
# The preset directory is the units' sibling (/usr/lib/systemd/system-preset
# beside /usr/lib/systemd/system, as systemd.pc has it).
PRESETDIR ?= $(patsubst %/,%,$(dir $(UNITDIR)))/system-preset
DATADIR ?= $(PREFIX)/share
LIBEXECDIR ?= $(PREFIX)/libexec
PAMCONFIGDIR ?= $(PREFIX)/share/pam-configs
PKG_DIR = $(BUILD)/pkg

MAN5 := man/nss-iam.conf.5
MAN8 := man/iam-sync.8 man/iam-authorized-keys.8 man/libnss_iam.8
UNITS := systemd/iam-sync.service systemd/iam-sync.timer \
	systemd/iam-sync-publisher.service
PRESET := systemd/80-nss-iam.preset
CONTRIB_CONF := contrib/nss-iam.conf
# sshd keeps the first AuthorizedKeysCommand it reads, and reads
# sshd_config.d in name order: the drop-in's name sorts first. Its name up
# to 0.1.0 is removed by a live install (the packages drop it on upgrade).
SSHD_DROPIN := 00-nss-iam.conf
SSHD_DROPIN_OLD := nss-iam.conf
CONTRIB_SSHD := $(wildcard contrib/sshd_config.d/nss-iam.conf)
CONTRIB_SUDO := $(wildcard contrib/sudoers.d/nss-iam)
CONTRIB_PAM := $(wildcard contrib/pam-configs/nss-iam-mkhomedir)

DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
RPM_VERSION = $(shell sed -n 's/^Version:[[:space:]]*//p' rpm/nss-iam.spec)

# The package builds must not inherit this make's variables (BUILD=,
# CFLAGS= of the sanitizer tree, DESTDIR=...), which reach them through
# MAKEFLAGS and the environment.
PKG_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u CFLAGS \
	-u LDFLAGS -u PREFIX -u SBINDIR -u LIBDIR -u MANDIR -u SYSCONFDIR \
	-u DESTDIR -u UNITDIR -u PRESETDIR -u DATADIR -u LIBEXECDIR \
	-u PAMCONFIGDIR

# The working tree, as a tar stream on stdout.
PKG_TAR = tar -c --exclude=./build --exclude=./cache --exclude-vcs \
	--exclude=__pycache__ .

.PHONY: install uninstall deb rpm man-check

install: $(PROGRAMS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(PRESETDIR) \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam $(DESTDIR)$(DATADIR)/nss-iam
	install -m 0755 $(SYNC_BIN) $(KEYS_BIN) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(VERIFY_BIN) $(DESTDIR)$(LIBEXECDIR)/nss-iam/
	install -m 0644 $(NSS_LIB) $(DESTDIR)$(LIBDIR)/libnss_iam.so.2
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -m 0644 $(PRESET) $(DESTDIR)$(PRESETDIR)/
	install -m 0755 scripts/nsswitch-edit.sh \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam/nsswitch-edit
	install -m 0755 scripts/sudoconf-edit.sh \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam/sudoconf-edit
	install -m 0644 $(CONTRIB_CONF) $(DESTDIR)$(DATADIR)/nss-iam/nss-iam.conf
	@# A live install writes the configuration only where there is none;
	@# a staged one (DESTDIR) never does.
	if [ -z "$(DESTDIR)" ] && [ ! -e $(SYSCONFDIR)/nss-iam.conf ] && \
		[ ! -L $(SYSCONFDIR)/nss-iam.conf ]; then \
		install -d $(SYSCONFDIR) && \
		install -m 0644 $(CONTRIB_CONF) $(SYSCONFDIR)/nss-iam.conf; \
	fi
ifneq ($(CONTRIB_SSHD),)
	install -d $(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d
	install -m 0644 $(CONTRIB_SSHD) \
		$(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/$(SSHD_DROPIN)
	if [ -z "$(DESTDIR)" ]; then \
		rm -f $(SYSCONFDIR)/ssh/sshd_config.d/$(SSHD_DROPIN_OLD); \
	fi
endif
ifneq ($(CONTRIB_SUDO),)
	install -d $(DESTDIR)$(SYSCONFDIR)/sudoers.d
	install -m 0440 $(CONTRIB_SUDO) $(DESTDIR)$(SYSCONFDIR)/sudoers.d/nss-iam
endif
ifneq ($(CONTRIB_PAM),)
ifneq ($(PAMCONFIGDIR),)
	install -d $(DESTDIR)$(PAMCONFIGDIR)
	install -m 0644 $(CONTRIB_PAM) $(DESTDIR)$(PAMCONFIGDIR)/
endif
endif
	@if [ -z "$(DESTDIR)" ]; then \
		install -d -m 0755 /var/lib/nss-iam; \
		echo "install: now run $(LIBEXECDIR)/nss-iam/nsswitch-edit add," \
			"$(LIBEXECDIR)/nss-iam/sudoconf-edit add" \
			"and systemctl enable --now iam-sync.timer"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/iam-sync \
		$(DESTDIR)$(SBINDIR)/iam-authorized-keys \
		$(DESTDIR)$(LIBDIR)/libnss_iam.so.2 \
		$(DESTDIR)$(MANDIR)/man5/nss-iam.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/iam-sync.8 \
		$(DESTDIR)$(MANDIR)/man8/iam-authorized-keys.8 \
		$(DESTDIR)$(MANDIR)/man8/libnss_iam.8 \
		$(DESTDIR)$(UNITDIR)/iam-sync.service \
		$(DESTDIR)$(UNITDIR)/iam-sync.timer \
		$(DESTDIR)$(UNITDIR)/iam-sync-publisher.service \
		$(DESTDIR)$(PRESETDIR)/$(notdir $(PRESET)) \
		$(DESTDIR)$(DATADIR)/nss-iam/nss-iam.conf \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam/nsswitch-edit \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam/sudoconf-edit \
		$(DESTDIR)$(LIBEXECDIR)/nss-iam/iam-verify-key \
		$(DESTDIR)$(SYSCONFDIR)/ssh/sshd_config.d/$(SSHD_DROPIN) \
		$(DESTDIR)$(SYSCONFDIR)/sudoers.d/nss-iam \
		$(if $(PAMCONFIGDIR),$(DESTDIR)$(PAMCONFIGDIR)/nss-iam-mkhomedir)
	-rmdir $(DESTDIR)$(LIBEXECDIR)/nss-iam $(DESTDIR)$(DATADIR)/nss-iam \
		2>/dev/null
	@echo "uninstall: $(SYSCONFDIR)/nss-iam.conf and /var/lib/nss-iam" \
		"are kept; run nsswitch-edit remove and sudoconf-edit remove" \
		"before uninstalling to take iam out of nsswitch.conf and" \
		"sudo.conf"

deb:
	@mkdir -p $(PKG_DIR)
	t=$$(mktemp -d /tmp/nss-iam-deb.XXXXXX) && \
	trap 'rm -rf "$$t"' EXIT && \
	mkdir "$$t/nss-iam-$(DEB_VERSION)" && \
	$(PKG_TAR) | tar -x -C "$$t/nss-iam-$(DEB_VERSION)" && \
	(cd "$$t/nss-iam-$(DEB_VERSION)" && \
		$(PKG_ENV) DEB_BUILD_OPTIONS="parallel=$$(nproc)" \
		dpkg-buildpackage -us -uc -b) && \
	mv "$$t"/*.deb "$$t"/*.buildinfo "$$t"/*.changes $(PKG_DIR)/

# rpmbuild on a Debian machine has no rpm database of the build
# dependencies, hence --nodeps; on Fedora/RHEL it is left out.
RPM_NODEPS ?= $(if $(wildcard /etc/debian_version),--nodeps)

# Without systemd-rpm-macros (rpm on Debian), stand-ins of the three
# scriptlet macros the spec uses.
RPM_SYSTEMD_MACROS = $(if $(shell rpm --eval '%{?systemd_post:1}' \
	2>/dev/null),,--load=rpm/macros.systemd-standin)

rpm:
	@mkdir -p $(PKG_DIR)
	t=$$(mktemp -d /tmp/nss-iam-rpm.XXXXXX) && \
	trap 'rm -rf "$$t"' EXIT && \
	mkdir -p "$$t/nss-iam-$(RPM_VERSION)" "$$t/top/SOURCES" && \
	$(PKG_TAR) | tar -x -C "$$t/nss-iam-$(RPM_VERSION)" && \
	tar -czf "$$t/top/SOURCES/nss-iam-$(RPM_VERSION).tar.gz" -C "$$t" \
		nss-iam-$(RPM_VERSION) && \
	$(PKG_ENV) rpmbuild -bb $(RPM_NODEPS) $(RPM_SYSTEMD_MACROS) \
		--define "_topdir $$t/top" rpm/nss-iam.spec && \
	cp "$$t"/top/RPMS/*/nss-iam-*.rpm $(PKG_DIR)/

man-check:
	@rc=0; for f in $(MAN5) $(MAN8); do \
		out=$$(LC_ALL=C.UTF-8 groff -man -ww -z $$f 2>&1); \
		if [ -n "$$out" ]; then echo "$$f:"; echo "$$out"; rc=1; fi; \
	done; \
	[ $$rc -eq 0 ] && echo "man-check: $(words $(MAN5) $(MAN8)) pages clean"; \
	exit $$rc
