<?php
// Prints the plugin's web-service declarations (db/services.php + each class's execute_parameters
// and execute_returns) as JSON, so tests can compare them with the contract files.
define('MOODLE_INTERNAL', true);
foreach (['PARAM_INT' => 'int', 'PARAM_FLOAT' => 'float', 'PARAM_BOOL' => 'bool', 'PARAM_ALPHA' => 'alpha',
          'PARAM_ALPHANUM' => 'alphanum', 'PARAM_ALPHANUMEXT' => 'alphanumext', 'PARAM_TEXT' => 'text',
          'PARAM_RAW' => 'raw', 'PARAM_URL' => 'url'] as $name => $value) {
    define($name, $value);
}
define('VALUE_REQUIRED', 1);
define('VALUE_OPTIONAL', 2);
define('VALUE_DEFAULT', 0);
$CFG = new stdClass();
$CFG->libdir = __DIR__ . '/lib';
$CFG->dirroot = __DIR__;
$plugin = $argv[1];

/** Stand-in: no IOMAD here, so services.php lists only its own and core functions. */
class core_component {
    public static function get_component_directory($component) {
        return null;
    }
}

function describe($d) {
    $required = [VALUE_REQUIRED => 'required', VALUE_OPTIONAL => 'optional', VALUE_DEFAULT => 'default'][$d->required];
    if ($d instanceof external_value) {
        return ['kind' => 'value', 'type' => $d->type, 'required' => $required, 'default' => $d->default];
    }
    if ($d instanceof external_single_structure) {
        $keys = [];
        foreach ($d->keys as $name => $sub) {
            $keys[$name] = describe($sub);
        }
        return ['kind' => 'structure', 'keys' => $keys, 'required' => $required];
    }
    return ['kind' => 'list', 'content' => describe($d->content), 'required' => $required];
}

$functions = [];
require($plugin . '/db/services.php');
$out = [];
foreach ($functions as $name => $info) {
    $short = substr($info['classname'], strrpos($info['classname'], '\\') + 1);
    require_once($plugin . '/classes/external/' . $short . '.php');
    $class = $info['classname'];
    $out[$name] = ['type' => $info['type'], 'capabilities' => $info['capabilities'],
        'params' => describe($class::execute_parameters()), 'returns' => describe($class::execute_returns())];
}
echo json_encode($out, JSON_PRETTY_PRINT);
