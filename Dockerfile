# The Tandem hub in a container: the same .deb as on a server (its own Java runtime), run as the
# unprivileged "tandem" user, data in the volume /var/lib/tandem, health from GET /healthz.
# Build the .deb first: ./mvnw -Pdist -DskipTests package; then: docker build -t tandem-hub .
# No container engine runs where Tandem is developed: .ci/package-check runs every command below
# (RUN as root, CMD as tandem with the ENV, HEALTHCHECK) against the same .deb instead.
FROM debian:bookworm-slim
COPY sync-server/target/dist/tandem-hub_*.deb /tmp/tandem-hub.deb
RUN dpkg -i /tmp/tandem-hub.deb && rm /tmp/tandem-hub.deb
USER tandem
ENV TANDEM_HOST=0.0.0.0
EXPOSE 7070
VOLUME /var/lib/tandem
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s CMD ["/usr/lib/tandem-hub/healthcheck"]
CMD ["tandem-hub", "serve", "--config", "/etc/tandem/hub.conf"]
