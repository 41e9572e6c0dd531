"""`cpack -G DEB` in the build directory, then `dpkg-deb` on the result: the
package holds the binary, the systemd unit and sysusers entry, the example
config and every migration, runs its maintainer scripts with sh, and depends
on the runtime libraries (dpkg-shlibdeps).

usage: check_deb_package.py SOURCE_DIR BUILD_DIR CPACK TOLLGATE_BINARY
"""
import glob
import os
import subprocess
import sys
import tempfile

from deploy_check import Problems, require_tool

source, build, cpack, binary = sys.argv[1:5]
p = Problems("debian package")
dpkg_deb = require_tool("dpkg-deb")
require_tool("dpkg-shlibdeps")
require_tool("file")  # CPackDeb finds the ELF files for dpkg-shlibdeps with it
if not p.check(os.access(binary, os.X_OK), f"built binary {binary} is missing: build target `tollgate` first"):
    p.finish()

with tempfile.TemporaryDirectory() as out:
    # With Ninja, cpack installs what is built; it does not build.
    r = subprocess.run([cpack, "-G", "DEB", "-B", out], cwd=build, capture_output=True, text=True)
    print(r.stdout[-2000:], r.stderr[-2000:])
    debs = glob.glob(os.path.join(out, "*.deb"))
    if not p.check(r.returncode == 0 and len(debs) == 1, f"cpack -G DEB failed (exit {r.returncode})"):
        p.finish()
    deb = debs[0]
    listing = subprocess.run([dpkg_deb, "-c", deb], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        fields = line.split()
        entries[fields[5].lstrip(".")] = fields[0]
    print("\n".join(sorted(entries)))

    wanted = [
        "/usr/bin/tollgate",
        "/usr/lib/systemd/system/tollgate.service",
        "/usr/lib/sysusers.d/tollgate.conf",
        "/usr/share/doc/tollgate/tollgate.example.yaml",
    ]
    wanted += ["/usr/share/tollgate/migrations/" + os.path.basename(f)
               for f in sorted(glob.glob(os.path.join(source, "migrations", "*.sql")))]
    for path in wanted:
        p.check(path in entries, f"{path} is not in the package")
    p.check(entries.get("/usr/bin/tollgate", "").startswith("-rwxr-xr-x"), "/usr/bin/tollgate is not executable")

    control = subprocess.run([dpkg_deb, "-f", deb], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line and not line.startswith(" "))
    print(control)
    p.check(fields.get("Package") == "tollgate", "package name must be tollgate")
    depends = fields.get("Depends", "")
    for lib in ("libpqxx", "libldap", "libyaml-cpp"):
        p.check(lib in depends, f"Depends lacks {lib} (dpkg-shlibdeps): {depends}")

    ctl = os.path.join(out, "control")
    subprocess.run([dpkg_deb, "-e", deb, ctl], check=True)
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(ctl, script)
        if p.check(os.path.exists(path), f"maintainer script {script} is missing"):
            p.check(os.access(path, os.X_OK), f"{script} is not executable")
            p.check(subprocess.run(["sh", "-n", path]).returncode == 0, f"{script} is not valid sh")
    unit = subprocess.run([dpkg_deb, "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    p.check(b"ExecStart=/usr/bin/tollgate serve" in unit, "the packaged unit does not start /usr/bin/tollgate")
p.finish()
