import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;

/**
 * Single-node OpenSearch 2.19 running in-process, for Portcullis integration tests.
 *
 * <p>Usage: {@code java ... EmbeddedOpenSearch <home> <httpPort> <transportPort> [clusterName]}
 *
 * <p>No Bootstrap runs: no security manager, no bootstrap checks, no keystore. Modules are
 * loaded as "classpath plugins" (the same mechanism OpenSearch's own test framework uses).
 * Logging is configured by log4j2-core from {@code -Dlog4j2.configurationFile}; the script
 * passes {@code test/opensearch/log4j2.xml}.
 */
public final class EmbeddedOpenSearch {

    /** Plugins the node must have; a missing one aborts the start. */
    private static final String[] REQUIRED_PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",
        "org.opensearch.painless.PainlessPlugin",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "org.opensearch.index.mapper.MapperExtrasPlugin",
        "org.opensearch.index.reindex.ReindexPlugin",
        "org.opensearch.script.mustache.MustachePlugin", // search templates, stored mustache scripts
    };

    /** Nice-to-have plugins; a failure to load is reported on stderr, never hidden. */
    private static final String[] OPTIONAL_PLUGINS = {
        "org.opensearch.join.ParentJoinPlugin",
        "org.opensearch.percolator.PercolatorPlugin",
        "org.opensearch.search.pipeline.common.SearchPipelineCommonModulePlugin", // search pipeline processors
        // k-NN from its Maven zip (scripts/opensearch.sh OPENSEARCH_PLUGIN_ZIPS): built for 2.19.1,
        // loaded here as a classpath plugin; without native libraries only the Lucene engine works.
        "org.opensearch.knn.plugin.KNNPlugin",
    };

    /** Node subclass only to reach the protected constructor that takes classpath plugins. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    private EmbeddedOpenSearch() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: EmbeddedOpenSearch <home> <httpPort> <transportPort> [clusterName]");
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
            .put("node.name", "portcullis-os-1")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            .put("discovery.type", "single-node")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String name : REQUIRED_PLUGINS) {
            plugins.add(loadPlugin(name)); // throws: a required plugin must load
        }
        for (String name : OPTIONAL_PLUGINS) {
            try {
                plugins.add(loadPlugin(name));
            } catch (ReflectiveOperationException | LinkageError e) {
                System.err.println("[embedded-opensearch] WARN optional plugin " + name + " not loaded: " + e);
            }
        }
        for (Class<? extends Plugin> p : plugins) {
            System.out.println("[embedded-opensearch] plugin " + p.getName());
        }

        // Classpath plugins get no "extendedPlugins" wiring, so PainlessPlugin never sees the
        // PainlessExtension SPI of analysis-common. Its allow-lists are a static map, so feed
        // the extensions found on the classpath once, before the node builds its script engine.
        new PainlessPlugin().loadExtensions(new org.opensearch.plugins.ExtensiblePlugin.ExtensionLoader() {
            @Override
            public <T> List<T> loadExtensions(Class<T> type) {
                List<T> found = new ArrayList<>();
                ServiceLoader.load(type, EmbeddedOpenSearch.class.getClassLoader()).forEach(found::add);
                for (T ext : found) {
                    System.out.println("[embedded-opensearch] painless extension " + ext.getClass().getName());
                }
                return found;
            }
        });

        Environment env = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), home.resolve("config"), () -> "portcullis-os-1");
        Node node = new EmbeddedNode(env, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    System.err.println("[embedded-opensearch] node did not close within 30s");
                }
            } catch (Exception e) {
                System.err.println("[embedded-opensearch] error while closing node: " + e);
                e.printStackTrace();
            } finally {
                System.out.println("[embedded-opensearch] stopped");
                LogManager.shutdown();
                stopped.countDown();
            }
        }, "embedded-opensearch-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            System.err.println("[embedded-opensearch] start failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("[embedded-opensearch] started http://127.0.0.1:" + httpPort);
        // OpenSearch's threads are daemons; keep the JVM alive until SIGTERM runs the hook.
        stopped.await();
    }

    private static Class<? extends Plugin> loadPlugin(String name) throws ClassNotFoundException {
        return Class.forName(name, true, EmbeddedOpenSearch.class.getClassLoader()).asSubclass(Plugin.class);
    }
}
