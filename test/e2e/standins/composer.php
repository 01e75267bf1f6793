#!/usr/bin/env php
<?php
// e2e stand-in for Composer: Packagist cannot be reached from here. Does what the example's
// pipeline asks of Composer with its composer.lock, which locks no package:
// - install [--no-dev] [--no-autoloader] ...: checks the lock holds no package, then (unless
//   --no-autoloader) writes the autoloader as dump-autoload does;
// - dump-autoload [--no-dev] ...: vendor/autoload.php, a PSR-4 loader of composer.json's
//   "autoload" (and "autoload-dev" without --no-dev) that also loads vendor/e2e-packages/*.php,
//   where the e2e puts what Packagist would have given the tests.
$args = array_slice($argv, 1);
$command = $args[0] ?? '';
$noDev = in_array('--no-dev', $args, true);
$project = json_decode(file_get_contents('composer.json'), true);

function dump(array $project, bool $noDev): void
{
    $map = $project['autoload']['psr-4'] ?? [];
    if (!$noDev) {
        $map += $project['autoload-dev']['psr-4'] ?? [];
    }
    @mkdir('vendor', 0755, true);
    $code = "<?php\n// Written by the e2e's Composer stand-in.\n\$e2eMap = " . var_export($map, true) . ";\n"
        . "spl_autoload_register(function (string \$class) use (\$e2eMap): void {\n"
        . "    foreach (\$e2eMap as \$prefix => \$dir) {\n"
        . "        if (strncmp(\$class, \$prefix, strlen(\$prefix)) === 0) {\n"
        . "            \$file = __DIR__ . '/../' . \$dir . str_replace('\\\\', '/', substr(\$class, strlen(\$prefix))) . '.php';\n"
        . "            if (is_file(\$file)) {\n"
        . "                require \$file;\n"
        . "                return;\n"
        . "            }\n"
        . "        }\n"
        . "    }\n"
        . "});\n"
        . "foreach (glob(__DIR__ . '/e2e-packages/*.php') ?: [] as \$e2eFile) {\n"
        . "    require_once \$e2eFile;\n"
        . "}\n";
    file_put_contents('vendor/autoload.php', $code);
    echo "composer (e2e stand-in): vendor/autoload.php written (" . count($map) . " PSR-4 prefixes)\n";
}

if ($command === 'install') {
    $lock = json_decode(file_get_contents('composer.lock'), true);
    $count = count($lock['packages'] ?? []) + ($noDev ? 0 : count($lock['packages-dev'] ?? []));
    if ($count > 0) {
        fwrite(STDERR, "composer (e2e stand-in): composer.lock locks $count packages, and Packagist cannot be reached\n");
        exit(1);
    }
    echo "composer (e2e stand-in): composer.lock locks no package: nothing to install\n";
    if (!in_array('--no-autoloader', $args, true)) {
        dump($project, $noDev);
    }
    exit(0);
}
if ($command === 'dump-autoload') {
    dump($project, $noDev);
    exit(0);
}
fwrite(STDERR, "composer (e2e stand-in): '$command' is not supported\n");
exit(1);
