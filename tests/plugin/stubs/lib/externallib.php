<?php
// Stand-ins for Moodle's external API description classes: just enough to read declarations.
class external_description {
    public $desc; public $required; public $default;
}
class external_value extends external_description {
    public $type;
    public function __construct($type, $desc = '', $required = VALUE_REQUIRED, $default = null) {
        $this->type = $type; $this->desc = $desc; $this->required = $required; $this->default = $default;
    }
}
class external_single_structure extends external_description {
    public $keys;
    public function __construct(array $keys = [], $desc = '', $required = VALUE_REQUIRED, $default = null) {
        $this->keys = $keys; $this->desc = $desc; $this->required = $required; $this->default = $default;
    }
}
class external_function_parameters extends external_single_structure {}
class external_multiple_structure extends external_description {
    public $content;
    public function __construct($content, $desc = '', $required = VALUE_REQUIRED, $default = null) {
        $this->content = $content; $this->desc = $desc; $this->required = $required; $this->default = $default;
    }
}
class external_warnings extends external_multiple_structure {
    public function __construct() {
        parent::__construct(new external_single_structure([
            'item' => new external_value(PARAM_TEXT, 'item', VALUE_OPTIONAL),
            'itemid' => new external_value(PARAM_INT, 'item id', VALUE_OPTIONAL),
            'warningcode' => new external_value(PARAM_ALPHANUM, 'code'),
            'message' => new external_value(PARAM_RAW, 'message'),
        ]), 'warnings', VALUE_OPTIONAL);
    }
}
class external_api {}
