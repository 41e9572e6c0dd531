# Debian package (cpack -G DEB from the build directory): the binary, the
# migrations (installed by the top-level CMakeLists.txt), the systemd unit and
# sysusers entry, the example config and the alert rules and dashboard.
# Checked by the test deploy_cpack_deb (tests/deploy).

install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/tollgate.service
        DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/tollgate.sysusers
        DESTINATION lib/sysusers.d RENAME tollgate.conf)
# OPTIONAL: the packaging test, not the install step, complains when it is missing.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/tollgate.example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR} OPTIONAL)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/prometheus/tollgate-alerts.yml
              ${PROJECT_SOURCE_DIR}/deploy/grafana/tollgate-dashboard.json
              ${PROJECT_SOURCE_DIR}/deploy/pac/proxy.pac
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tollgate)
set(CPACK_PACKAGE_VENDOR "Tollgate")
set(CPACK_PACKAGE_CONTACT "Tollgate maintainers <tollgate@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime library dependencies come from dpkg-shlibdeps on the binary.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql (>= 15), prometheus")
# Creates the tollgate user (sysusers) and tells systemd about the unit; the
# service is not started before /etc/tollgate/tollgate.yaml exists.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
