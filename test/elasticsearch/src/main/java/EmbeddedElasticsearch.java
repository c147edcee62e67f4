import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.ExtensiblePlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * Single-node Elasticsearch (7.17.29 by default, or 7.10.2 with painless) running in-process, for Portcullis integration tests.
 *
 * <p>Usage: {@code java ... EmbeddedElasticsearch <home> <httpPort> <transportPort> [clusterName]}
 *
 * <p>No Bootstrap runs: no security manager, no bootstrap checks, no keystore. Modules are
 * loaded as "classpath plugins" (the same mechanism Elasticsearch's own test framework uses).
 * Logging is configured by log4j2-core from {@code -Dlog4j2.configurationFile}; the script
 * passes {@code test/elasticsearch/log4j2.xml}.
 */
public final class EmbeddedElasticsearch {

    /**
     * Plugins the node must have; a missing one aborts the start. Each row lists alternative
     * class names (ReindexPlugin moved package between 7.10 and 7.17).
     */
    private static final String[][] REQUIRED_PLUGINS = {
        {"org.elasticsearch.transport.Netty4Plugin"},
        {"org.elasticsearch.index.mapper.MapperExtrasPlugin"},
        {"org.elasticsearch.reindex.ReindexPlugin", "org.elasticsearch.index.reindex.ReindexPlugin"},
    };

    /**
     * Nice-to-have plugins; a failure to load is reported on stderr, never hidden.
     * lang-painless and analysis-common 7.17 are not on Maven Central (see STATUS.md): with the
     * default 7.17 build they are reported missing; the es-7.10 profile brings them.
     */
    private static final String[] OPTIONAL_PLUGINS = {
        "org.elasticsearch.join.ParentJoinPlugin",
        "org.elasticsearch.percolator.PercolatorPlugin",
        "org.elasticsearch.painless.PainlessPlugin",
        "org.elasticsearch.analysis.common.CommonAnalysisPlugin",
    };

    private static final String PAINLESS = "org.elasticsearch.painless.PainlessPlugin";

    /** Node subclass only to reach the protected constructor that takes classpath plugins. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private EmbeddedElasticsearch() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedElasticsearch <home> <httpPort> <transportPort> [clusterName]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        String httpPort = args[1];
        String transportPort = args[2];
        String clusterName = args.length > 3 ? args[3] : "portcullis-test";

        // PluginsService scans these even when every plugin comes from the classpath.
        Files.createDirectories(home.resolve("modules"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", clusterName)
            .put("node.name", "portcullis-es-1")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("discovery.type", "single-node")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String[] alternatives : REQUIRED_PLUGINS) {
            plugins.add(loadRequired(alternatives));
        }
        for (String name : OPTIONAL_PLUGINS) {
            try {
                plugins.add(loadPlugin(name));
            } catch (ReflectiveOperationException | LinkageError e) {
                System.err.println("[embedded-elasticsearch] WARN optional plugin " + name + " not loaded: " + e);
            }
        }
        for (Class<? extends Plugin> p : plugins) {
            System.out.println("[embedded-elasticsearch] plugin " + p.getName());
        }

        // Classpath plugins get no "extendedPlugins" wiring, so PainlessPlugin never sees the
        // PainlessExtension SPI of analysis-common. Its whitelists are a static map, so feed
        // the extensions found on the classpath once, before the node builds its script engine.
        for (Class<? extends Plugin> p : plugins) {
            if (p.getName().equals(PAINLESS)) {
                ExtensiblePlugin painless = (ExtensiblePlugin) p.getConstructor().newInstance();
                painless.loadExtensions(new ExtensiblePlugin.ExtensionLoader() {
                    @Override
                    public <T> List<T> loadExtensions(Class<T> type) {
                        List<T> found = new ArrayList<>();
                        ServiceLoader.load(type, EmbeddedElasticsearch.class.getClassLoader()).forEach(found::add);
                        for (T ext : found) {
                            System.out.println("[embedded-elasticsearch] painless extension " + ext.getClass().getName());
                        }
                        return found;
                    }
                });
            }
        }

        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), home.resolve("config"), () -> "portcullis-es-1");
        Node node = new EmbeddedNode(env, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    System.err.println("[embedded-elasticsearch] node did not close within 30s");
                }
            } catch (Exception e) {
                System.err.println("[embedded-elasticsearch] error while closing node: " + e);
                e.printStackTrace();
            } finally {
                System.out.println("[embedded-elasticsearch] stopped");
                LogManager.shutdown();
                stopped.countDown();
            }
        }, "embedded-elasticsearch-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            System.err.println("[embedded-elasticsearch] start failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("[embedded-elasticsearch] started http://127.0.0.1:" + httpPort);
        // Elasticsearch's threads are daemons; keep the JVM alive until SIGTERM runs the hook.
        stopped.await();
    }

    private static Class<? extends Plugin> loadRequired(String[] alternatives) throws ClassNotFoundException {
        ClassNotFoundException first = null;
        for (String name : alternatives) {
            try {
                return loadPlugin(name);
            } catch (ClassNotFoundException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        throw first;
    }

    private static Class<? extends Plugin> loadPlugin(String name) throws ClassNotFoundException {
        return Class.forName(name, true, EmbeddedElasticsearch.class.getClassLoader()).asSubclass(Plugin.class);
    }
}
